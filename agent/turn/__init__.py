"""Turn understanding: one user message -> one typed :class:`~agent.turn.state_update.StateUpdate`."""
