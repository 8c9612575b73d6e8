"""The answer chain: read → scope → retrieve → tools → answer (offline or LLM) → verify."""
