"""Model instances from rows the hot paths read with their own SQL (the work queue's pop, the gate's facts).

`Model.from_db` builds an instance in two passes over every concrete field of the model (one matching the
selected names, one in `__init__` assigning each value through its descriptor): about 50 µs for a cart with
18 columns of its 44, paid for the cart, its customer and its store on each "Next cart". The instance built
here is the one the ORM gives for `.only(*attnames)`: its values in the instance's `__dict__` (fields left out
are deferred and load on first access), `_state` saying it was read from the database. The values must be as
the fields hold them, their converters (`from_db_value`) already applied by the caller, since no descriptor
sees them on the way in.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Model
from django.db.models.base import ModelState
from django.db.models.signals import post_init


def instance_from_row(model: type[Model], attnames: Sequence[str], values: Sequence, *, using: str) -> Model:
    """An instance of `model` with `attnames` set to `values` (in order), as if read from the `using` database.

    A model something listens to `post_init` for (a field tracker, an image field's dimensions) is built by
    `from_db`, which sends the signal.
    """
    if post_init.has_listeners(model):
        return model.from_db(using, list(attnames), list(values))
    instance = model.__new__(model)
    instance.__dict__.update(zip(attnames, values, strict=True))
    state = instance._state = ModelState()
    state.adding, state.db = False, using
    return instance
