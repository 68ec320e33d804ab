"""Personal data: download everything held about a person, erase an account, purge by age."""
