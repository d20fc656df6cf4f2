#!/bin/bash
# healthcheck PORT [PATH]: exit 0 when http://127.0.0.1:PORT/PATH answers 200. Plain bash, so
# the runtime images need no curl.
exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
printf 'GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n' "${2:-/health}" >&3
IFS= read -r -t 5 status <&3 || exit 1
[[ "$status" == *" 200 "* ]]
