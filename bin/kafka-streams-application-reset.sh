#!/usr/bin/env bash
exec "$(dirname "$0")/kafka-run-class.sh" strom.cli.kafka_streams_application_reset "$@"
