"""The back-and-forth with the customer: collection rounds, collection links, the customer's
answer (new pages), customer-visible messages and the emails that carry them."""
