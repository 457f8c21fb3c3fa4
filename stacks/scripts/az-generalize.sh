#!/bin/sh
# Runs where `pulumi up` runs: deallocates and generalizes the build VM by its full resource ID ($VM_ID), so
# the Azure CLI acts in the subscription Pulumi deployed into, whatever its default subscription. With
# CHECK_ONLY=1 it only checks that the CLI can do that (run before anything is done on the VM).
set -eu
fail() {
  echo "image stack: $*" >&2
  exit 1
}
command -v az >/dev/null 2>&1 ||
  fail "the Azure CLI (az) is not installed here; it deallocates and generalizes the build VM (https://learn.microsoft.com/cli/azure/install-azure-cli)"
subscription=${VM_ID#/subscriptions/}
subscription=${subscription%%/*}
[ -n "$subscription" ] && [ "$subscription" != "$VM_ID" ] || fail "not a VM resource ID: $VM_ID"
az account show --subscription "$subscription" --query id -o tsv >/dev/null 2>&1 ||
  fail "the Azure CLI is not logged in to subscription $subscription, where the build VM is: run az login (and check your access to it)"
[ "${CHECK_ONLY:-0}" = 1 ] && exit 0
az vm deallocate --ids "$VM_ID"
az vm generalize --ids "$VM_ID"
