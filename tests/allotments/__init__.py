"""A fourth participation module, defined in the tests: requests for an allotment garden plot.

It is as small as a module can be and still reach every place the kernel shows a tool: a rules
schema with a threshold and a deadline, one kind of obligation, a tool label and its part of
the synthetic region. tests/app/test_registry.py registers it into an app built for the test
and finds it on /rules, on the tracker and on the dashboard: no line of app/ names it.
"""
