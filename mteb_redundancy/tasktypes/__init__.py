"""Deprecated: the task types moved to ``mteb_redundancy.analyses.<analysis>.task_type``; these aliases go in the next release."""
