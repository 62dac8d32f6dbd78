"""The platform every app stands on: pure helpers with no knowledge of tickets, agents or escalations.

Nothing here imports another app of this project; every app may import from here.
"""
