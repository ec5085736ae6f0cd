"""Schemathesis hooks for .ci/schemathesis.py (loaded through SCHEMATHESIS_HOOKS).

Every valid `Idempotency-Key` Schemathesis generates is made unique before it is sent.
Generated keys are short and repeat ("0", "00", ...), and siprov answers a POST sent again
under a key it has seen from that login with the first answer (that is what the key is for),
even when what the first request created has been deleted since. The stateful phase then
reads the replayed 201 as a resource that vanished (ST302), and a replay says nothing about
the request it was drawn for. Negative cases, and keys that break the header's schema, are
left as drawn, so they still reach the server as generated.
"""

import itertools
import re

import schemathesis

_VALID_KEY = re.compile(r"[!-~]{1,255}")
_SEQUENCE = itertools.count()


@schemathesis.hook
def before_call(context, case, kwargs):
    headers = case.headers
    # A negative case is sent as drawn: an edit here would make Schemathesis validate the case
    # again and send the header it left out on purpose (a missing `Authorization`).
    if not headers or (case.meta is not None and case.meta.generation.mode.is_negative):
        return
    for name in list(headers):
        if name.lower() != "idempotency-key":
            continue
        value = headers[name]
        if isinstance(value, str) and _VALID_KEY.fullmatch(value):
            # Still 1 to 255 visible ASCII characters: the case stays as valid as it was drawn.
            headers[name] = f"{value[:230]}-st{next(_SEQUENCE)}"
