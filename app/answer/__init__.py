"""The answer chain: condense → retrieve → answer (offline or LLM) → verify citations."""
