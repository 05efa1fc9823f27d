"""What the agent's LLM can call: the tool registry and the candidate bus."""
