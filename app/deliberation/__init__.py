"""Deliberation and moderation: comments on the items of every module (one mechanism, each
module declaring where and when comments are open), reports, the moderators' queue, decisions
and appeals, and blocks of accounts in a community."""
