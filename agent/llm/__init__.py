"""The language model: the OpenAI-compatible client with failover, structured (JSON-schema) calls, the local vLLM server's lifecycle and model preparation, and LLM-proposed causal priors."""
