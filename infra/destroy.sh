#!/usr/bin/env bash
# `make destroy STAGE=...`: deletes the stack kyc-backoffice-$STAGE. Case data (tables, the
# documents bucket, the user pool) is retained unless PURGE_DATA=yes. See docs/deploy.md.
set -euo pipefail
cd "$(dirname "$0")/.."

: "${STAGE:?usage: make destroy STAGE=<name> [PURGE_DATA=yes]}"
STACK="${STACK_NAME:-kyc-backoffice-$STAGE}"
REGION="${AWS_REGION:-${AWS_DEFAULT_REGION:-$(aws configure get region || true)}}"
: "${REGION:?set AWS_REGION (or a default region in your AWS CLI profile)}"
export AWS_DEFAULT_REGION="$REGION" AWS_REGION="$REGION"
PY="${PY:-.venv/bin/python}"

resources() {
  aws cloudformation list-stack-resources --stack-name "$STACK" \
    --query "StackResourceSummaries[?$1].[ResourceType,PhysicalResourceId]" --output text
}
RETAINED="$(resources "ResourceType=='AWS::DynamoDB::Table' || ResourceType=='AWS::Cognito::UserPool' || (ResourceType=='AWS::S3::Bucket' && LogicalResourceId!='FrontendBucket')")"
FRONTEND_BUCKET="$(resources "LogicalResourceId=='FrontendBucket'" | cut -f2)"

# CloudFormation cannot delete a bucket that still holds objects; the frontend is rebuildable.
if [ -n "$FRONTEND_BUCKET" ]; then
  aws s3 rm "s3://$FRONTEND_BUCKET" --recursive --quiet
fi
aws cloudformation delete-stack --stack-name "$STACK"
echo "deleting $STACK..."
aws cloudformation wait stack-delete-complete --stack-name "$STACK"

if [ "${PURGE_DATA:-}" = "yes" ]; then
  printf '%s\n' "$RETAINED" | "$PY" -m infra.purge
else
  echo "Deleted $STACK. Retained (case data; delete with PURGE_DATA=yes make destroy STAGE=$STAGE):"
  printf '%s\n' "$RETAINED"
fi
