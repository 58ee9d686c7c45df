"""Market briefings: a window of events turned into an email a leader reads in two minutes.

`render.py` is pure (events in; subject, HTML, text, Markdown and chart images out),
`charts.py` draws the price-history PNGs, `delivery.py` owns the outbox and SMTP.
"""
