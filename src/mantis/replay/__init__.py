"""Replay: a workflow that ran once runs again with no model call, and heals itself when the page changes.

What a model resolved for a step (the element it grounded, the rows it extracted, the steps it wrote for
a plan text) is recorded per tenant and plan, in terms a later run can check on its own page without a
model; the next run acts from the record when the check passes, and asks the model (replacing the
record) when it does not. `policy` says when a run replays, `store` keeps the records, `memory` is one
run's view of them, `actions` and `plans` are the learners of grounded actions and plan texts.
"""
