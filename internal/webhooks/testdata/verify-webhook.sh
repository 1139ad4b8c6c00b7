#!/bin/sh
# Verifies a Standard Webhooks signature. Set SECRET (whsec_…, from createWebhookEndpoint),
# ID, TS and SIG (the webhook-id, webhook-timestamp and webhook-signature headers) and BODY
# (the raw request body). Prints "valid", or "INVALID" and exits 1.
key=$(printf %s "${SECRET#whsec_}" | base64 -d | od -An -v -tx1 | tr -d ' \n')
expected=$(printf '%s.%s.%s' "$ID" "$TS" "$BODY" |
	openssl dgst -sha256 -mac HMAC -macopt "hexkey:$key" -binary | base64)
now=$(date +%s)
if [ $((now - TS)) -gt 300 ] || [ $((TS - now)) -gt 300 ]; then
	[ -n "$ALLOW_OLD" ] || { echo "INVALID (timestamp too old or too new)"; exit 1; }
fi
case " $SIG " in
*" v1,$expected "*) echo valid ;;
*) echo INVALID; exit 1 ;;
esac
