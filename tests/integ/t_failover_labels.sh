#!/usr/bin/env bash
# t_failover with the policy in the service's labels and `das run
# --policy-db none` on every manager (issue 8): no SQL store at all; the
# new leader reads the last action (and that it was no bet) back from
# InfluxDB's `das` measurement, does not repeat it, waits a whole window
# after it, then acts once. The scenario and its checks are t_failover's.
DAS_FAILOVER_LABELS=1 exec bash "$(dirname "$0")/t_failover.sh"
