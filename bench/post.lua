-- wrk script: a plain form POST with the CSRF token (the CSV export is a
-- POST: it writes audit rows). The session cookie comes from wrk's
-- -H "Cookie: ..."; the token from the environment (bench/__main__.py).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["X-CSRFToken"] = os.getenv("CSRF_TOKEN") or ""
wrk.body = ""
