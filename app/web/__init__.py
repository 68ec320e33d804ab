"""Web plumbing shared by every module: templates, i18n, CSRF, headers, errors, dependencies."""
