"""Adapters: the AWS and Stripe implementations of the ports (chalicelib.ports), installed by chalicelib.wiring."""
