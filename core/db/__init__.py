"""Database devices shared by the apps, each with a decision record under docs/decisions/ saying why it exists,
what it costs and how to remove it: statements prepared once per connection (`prepared`), model instances built
from raw rows without `from_db` (`rows`), session advisory locks for sweeps (`locks`) and the work-queue pop's
asynchronous commit (`commit`)."""
