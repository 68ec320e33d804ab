"""The back office: regions, communities and their set-up, staff and roles, the officials'
inbox. Pages (views.py), the JSON API (api.py) and commands (cli.py) over the services of
app.communities, app.rules and app.accountability."""
