"""Types of the outbox events about accounts (each becomes an email: workers/emails.py)."""

ACTIVATION_LINK = "account.activation_link"
ACTIVATION_RESEND_REQUESTED = "account.activation_resend_requested"
PASSWORD_RESET_REQUESTED = "account.password_reset_requested"
EMAIL_CHANGE_REQUESTED = "account.email_change_requested"
EMAIL_CHANGED = "account.email_changed"
MEMBER_REMOVED = "school.member_removed"
FRANCECONNECT_LINK_REQUESTED = "account.franceconnect_link_requested"

ALL = (ACTIVATION_LINK, ACTIVATION_RESEND_REQUESTED, PASSWORD_RESET_REQUESTED, EMAIL_CHANGE_REQUESTED, EMAIL_CHANGED,
       MEMBER_REMOVED, FRANCECONNECT_LINK_REQUESTED)

# A school account activated by its administrator (statistics, issue 9: accounts opened against the
# agréments). Not emailed, hence not in ALL. Payload: school_id, departement (its agrément's), at.
SCHOOL_ACCOUNT_OPENED = "school.account_opened"
