"""WhyRec tools layer."""
