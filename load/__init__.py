"""`make load`: Locust against the local stack, then the exactly-once checks (see __main__)."""
