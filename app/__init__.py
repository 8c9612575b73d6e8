"""The policy assistant: retrieval, answering, tools, and the CLI/API/UI edge."""
