# shellcheck shell=bash
# Sourced by container-run.sh and compose-check.sh: the checks' verdicts (pass,
# fail, FAILED) and the calls a user makes, through a broker and a page running in
# containers. Each answer is checked, and so is its effect: the log entries read
# back through the broker's `logs` action, the mails from the SMTP catcher's API.
#
# What the runner sets before `calls`: BROKER and PAGE (their URLs), PAGE_ORIGIN
# (a page the broker's CORS_ORIGINS allows), MAIL_API (the caught mail: MailDev's
# /email or MailHog's /api/v2/messages), FROM_ADDRESS (the mail service's
# sender), RUN_ID, STATE (a folder for answers), and a function
# `service_get SERVICE PATH` printing what the service (logger, authentication)
# answers to GET PATH.

FAILED=()
pass() { echo "ok    $1"; }
fail() { echo "FAIL  $1: $2"; FAILED+=("$1"); }

# post PATH BODY [ORIGIN]: prints "STATUS BODY"; sends the token of the last
# login (TOKEN), when there was one.
TOKEN=""
post() {
  rm -f "$STATE/answer" # no earlier answer read as this one's
  curl -sS -m 15 -o "$STATE/answer" -w '%{http_code}' -XPOST "$BROKER$1" \
    -H 'Content-Type: application/json' ${3:+-H "Origin: $3"} ${2:+-d "$2"} \
    ${TOKEN:+-H "Authorization: Bearer $TOKEN"} 2>&1 || true
  printf ' %s' "$(head -c 300 "$STATE/answer" 2>/dev/null)"
}

# expect NAME "STATUS BODY" STATUS TEXT: the answer has the status and contains TEXT.
expect() {
  local name=$1 answer=$2 status=$3 text=$4
  if [[ ${answer%% *} == "$status" && $answer == *"$text"* ]]; then
    pass "$name: $status ${text}"
  else
    fail "$name" "expected $status with $text, got: $answer"
  fi
}

# eventually NAME SECONDS COMMAND...: the command succeeds within the time.
eventually() {
  local name=$1 seconds=$2 deadline=$((SECONDS + $2)); shift 2
  until "$@"; do
    ((SECONDS < deadline)) || { fail "$name" "not seen within $seconds s"; return 0; }
    sleep 0.5
  done
  pass "$name"
}

# has URL TEXT [CURL OPTION...]: the body at URL contains TEXT. The body is read
# whole first: `curl | grep -q` fails under pipefail when grep stops reading
# before curl has written the rest (curl: (23) Failed writing body).
has() {
  local url=$1 text=$2 body; shift 2
  body="$(curl -sS -m 5 "$@" "$url" 2>/dev/null)" && [[ $body == *"$text"* ]]
}
# sent_and_stored NAME PATH FIELDS DATA HOW: a log named event with DATA (and
# FIELDS, such as the bus, before it) sent to PATH answers 202, then is stored.
sent_and_stored() {
  expect "$1" "$(post "$2" "{\"action\":\"log\",$3\"log\":{\"name\":\"event\",\"data\":\"$4\"}}")" 202 '"error":false'
  eventually "$1: stored ($5)" 15 logged "$4"
}

logged() { # data: the broker's `logs` action lists an entry with that data
  post /handle '{"action":"logs","logs":{"limit":100}}' >/dev/null
  grep -qF "\"data\":\"$1\"" "$STATE/answer" 2>/dev/null
}
# mailed SUBJECT [SENDER]: a mail with that subject was caught (and its From
# address is SENDER), read from MailDev's list or MailHog's.
mailed() {
  curl -sS -m 5 "$MAIL_API" 2>/dev/null | python3 -c '
import email.header, email.utils, json, sys
answer = json.load(sys.stdin)
if isinstance(answer, list):  # MailDev
    mails = [(m.get("subject"), [a.get("address") for a in m.get("from", [])]) for m in answer]
else:  # MailHog: the raw headers
    def header(m, name):
        value = (m["Content"]["Headers"].get(name) or [""])[0]
        return str(email.header.make_header(email.header.decode_header(value)))
    mails = [(header(m, "Subject"), [email.utils.parseaddr(header(m, "From"))[1]]) for m in answer["items"]]
sender = sys.argv[2:]
sys.exit(0 if any(s == sys.argv[1] and (not sender or sender[0] in f) for s, f in mails) else 1)' "$@"
}

# The token of the login just answered (the whole answer, not the 300 bytes shown).
token_of_last_answer() {
  python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get("token", ""))' "$STATE/answer" 2>/dev/null || true
}

calls() {
  local t answer
  # The deployment's TOKEN_REQUIRED_FOR: no mail without a login's token.
  answer="$(post /handle '{"action":"mail","mail":{"from":"me@example.com","to":"you@example.com","subject":"no token","message":"Hello"}}')"
  expect "mail without a token (TOKEN_REQUIRED_FOR)" "$answer" 401 'needs a token'
  answer="$(post /compare '{"action":"ping","requests":1}')"
  expect "a comparison without a token (TOKEN_REQUIRED_FOR)" "$answer" 401 'needs a token'
  answer="$(post /handle '{"action":"logs"}')"
  expect "stored logs without a token (TOKEN_REQUIRED_FOR)" "$answer" 401 'needs a token'
  # A login first: reading the stored entries back needs its token.
  answer="$(post /handle '{"action":"auth","auth":{"email":"admin@example.com","password":"verysecret"}}')"
  expect "login for a token" "$answer" 202 '"message":"Authenticated"'
  TOKEN="$(token_of_last_answer)"
  answer="$(service_get authentication /jwks.json 2>&1 || true)"
  if [[ $answer == *'"crv":"Ed25519"'* ]]; then pass "authentication's key set (GET /jwks.json)"; else fail "GET /jwks.json" "$answer"; fi
  # The fifteen action × transport paths.
  for t in http amqp rpc grpc nats; do
    answer="$(post /handle "{\"action\":\"log\",\"transport\":\"$t\",\"log\":{\"name\":\"containers\",\"data\":\"$RUN_ID log over $t\"}}")"
    expect "log over $t" "$answer" 202 '"error":false'
    eventually "log over $t: stored in MongoDB" 10 logged "$RUN_ID log over $t"
    answer="$(post /handle "{\"action\":\"auth\",\"transport\":\"$t\",\"auth\":{\"email\":\"admin@example.com\",\"password\":\"verysecret\"}}")"
    expect "auth over $t" "$answer" 202 '"message":"Authenticated"'
    TOKEN="$(token_of_last_answer)"
    [[ -n $TOKEN ]] && pass "auth over $t: a token" || fail "auth over $t" "no token in the answer"
    answer="$(post /handle "{\"action\":\"auth\",\"transport\":\"$t\",\"auth\":{\"email\":\"admin@example.com\",\"password\":\"wrong\"}}")"
    expect "auth over $t, wrong password" "$answer" 401 '"error":true'
    answer="$(post /handle "{\"action\":\"mail\",\"transport\":\"$t\",\"mail\":{\"from\":\"me@example.com\",\"to\":\"you@example.com\",\"subject\":\"$RUN_ID mail over $t\",\"message\":\"Hello\"}}")"
    expect "mail over $t" "$answer" 202 '"message":"Message sent to you@example.com"'
    eventually "mail over $t: caught by the SMTP catcher" 10 mailed "$RUN_ID mail over $t"
  done
  # The original page's five buttons, as it sends them.
  expect "button Test Broker: POST /" "$(post /)" 200 '"message":"Hit the broker"'
  answer="$(post /handle '{"action":"auth","auth":{"email":"admin@example.com","password":"verysecret"}}')"
  expect "button Test Auth" "$answer" 202 '"message":"Authenticated"'
  sent_and_stored "button Test Log" /handle '' "$RUN_ID button log" "through RabbitMQ, the listener and the logger"
  sent_and_stored 'the event on JetStream ("bus":"nats")' /handle '"bus":"nats",' "$RUN_ID event on nats" \
    "through the stream, the listener and the logger"
  answer="$(post /handle "{\"action\":\"mail\",\"mail\":{\"from\":\"me@example.com\",\"to\":\"you@example.com\",\"subject\":\"$RUN_ID button mail\",\"message\":\"Hello\"}}")"
  expect "button Test Mail" "$answer" 202 '"error":false'
  eventually "button Test Mail: caught" 10 mailed "$RUN_ID button mail"
  sent_and_stored "button Test gRPC log: POST /log-gRPC" /log-gRPC '' "$RUN_ID button grpc" "by the logger, over gRPC"
  answer="$(post /handle "{\"action\":\"mail\",\"mail\":{\"from\":\"me@example.com\",\"to\":\"someone@elsewhere.example\",\"subject\":\"$RUN_ID foreign\",\"message\":\"Hello\"}}")"
  expect "mail to another domain (MAIL_RECIPIENT_DOMAINS)" "$answer" 400 'MAIL_RECIPIENT_DOMAINS'
  # The deployment's narrowing: another page cannot send mail; the page can.
  local mail="{\"action\":\"mail\",\"mail\":{\"from\":\"ceo@bank.example\",\"to\":\"you@example.com\",\"subject\":\"$RUN_ID from a page\",\"message\":\"Hello\"}}"
  expect "another page's mail (CORS_ORIGINS)" "$(post /handle "$mail" https://other.example)" 403 '"error":true'
  expect "the page's mail (CORS_ORIGINS)" "$(post /handle "$mail" "$PAGE_ORIGIN")" 202 '"error":false'
  eventually "the page's mail: caught, from FROM_ADDRESS (MAIL_ALLOWED_DOMAINS)" 10 mailed "$RUN_ID from a page" "$FROM_ADDRESS"
  # The page, from the containerized front-end, pointing the browser at the broker.
  if has "$PAGE/" "$BROKER" -f && curl -fsS -m 5 "$PAGE/static/app.js" -o /dev/null; then
    pass "the page: served by the front-end's container, with the broker's URL and its script"
  else
    fail "the page" "$PAGE/ did not answer with the broker's URL $BROKER, or /static/app.js failed"
  fi
}
