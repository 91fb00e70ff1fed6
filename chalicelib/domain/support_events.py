"""Types of the outbox events about support tickets (issue 9). Each is written in the same
transaction as the ticket's change; the statistics count them (breaches of the one-week promise
among them). Payloads, all JSON:

- TICKET_OPENED: ticket_id, departement (the support queue it landed in), profile ("auto-ecole",
  "candidat", "autre"), topic ("compte", "demande", "impression-attestation", "bug"), opened_at.
- TICKET_ANSWERED: ticket_id, departement, opened_at, answered_at, within_promise (bool: answered
  within PROMISE_DAYS of opened_at). The answer's email follows from this event.
- PROMISE_BREACHED: ticket_id, departement, opened_at: the ticket was still unanswered PROMISE_DAYS
  after it was opened (once per ticket, by the scheduled job).
"""

TICKET_OPENED = "support.ticket_opened"
TICKET_ANSWERED = "support.ticket_answered"
PROMISE_BREACHED = "support.promise_breached"

ALL = (TICKET_OPENED, TICKET_ANSWERED, PROMISE_BREACHED)

# The service's promise: an answer within a week. Tickets are flagged a day before it ends.
PROMISE_DAYS = 7
FLAG_AFTER_DAYS = 6
