#!/bin/sh
# Render the server block from the environment (only our three variables: nginx's own $host etc.
# stay as they are), check the configuration, then run nginx in the foreground.
set -eu
: "${ONESTOP_UPSTREAM:?}" "${NGINX_PORT:?}" "${UPLOAD_MAX_REQUEST_BYTES:?}"
envsubst '${ONESTOP_UPSTREAM} ${NGINX_PORT} ${UPLOAD_MAX_REQUEST_BYTES}' \
  < /etc/nginx/templates/onestop.conf.template > /etc/nginx/conf.d/onestop.conf
nginx -t
exec nginx -g 'daemon off;'
