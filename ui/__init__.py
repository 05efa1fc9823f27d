"""WhyRec ui layer."""
