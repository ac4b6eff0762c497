"""Monthly access review (アクセスログ確認, SPEC §7): each organisation's responsible person signs off
a report of its users' sign-ins, views and exports of the month; overdue sign-offs are reminded."""
