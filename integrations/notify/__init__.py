"""Telling people: what is worth an e-mail or a webhook (events), and sending it (delivery).

Called by the periodic alerts task (integrations.tasks.alerts_task, sent by the periodic drain
every minute): every event is found from the database's state, recorded once as an Alert, and
sent to the integration's addresses; nothing in the engine has to remember to notify.
"""
