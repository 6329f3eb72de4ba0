"""A faithful fake Mailchimp Marketing API server for tests and benchmarks.

    from tests.fake_mailchimp import FakeMailchimp
    with FakeMailchimp(latency=0.1) as fake:
        ... MAILCHIMP_API_ROOT=fake.api_root, MAILCHIMP_API_KEY=fake.api_key,
            MAILCHIMP_LIST_ID=fake.list_id ...

A pytest fixture is in tests.fake_mailchimp.fixtures (``fake_mailchimp``).
"""

from .server import BATCH_LIMIT, FAULT_KINDS, Call, FakeMailchimp, Fault, subscriber_hash

__all__ = ["BATCH_LIMIT", "FAULT_KINDS", "Call", "FakeMailchimp", "Fault", "subscriber_hash"]
