#!/bin/bash
# adds messages to random nodes for $1 seconds
end=$((SECONDS+$1)); i=0
while [ $SECONDS -lt $end ]; do
  p=$((23421 + RANDOM % 5)); i=$((i+1))
  curl -s -m 2 -XPOST "127.0.0.1:$p/add" -H 'content-type: application/json' -d "{\"message\":\"msg $i\"}" >/dev/null
  sleep 0.3
done
