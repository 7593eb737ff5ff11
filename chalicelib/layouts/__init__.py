"""Case layouts as data: per workflow definition, bundled with it and overridable per tenant."""
