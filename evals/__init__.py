"""WhyRec evals layer."""
