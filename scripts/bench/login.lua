-- POST a login (form) on every request: scripts/bench/scenarios/login*.sh
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "username=bench&password=bench+password+123"
