#!/usr/bin/env bash
# `make deploy STAGE=...`: deploys build/package/sam.json as the stack kyc-backoffice-$STAGE with
# the AWS CLI, then uploads the frontend. Every variable is described in docs/deploy.md.
set -euo pipefail
cd "$(dirname "$0")/.."

: "${STAGE:?usage: make deploy STAGE=<name> (see docs/deploy.md)}"
PREFIX="${PREFIX:-kyc-$STAGE}"
STACK="${STACK_NAME:-kyc-backoffice-$STAGE}"
REGION="${AWS_REGION:-${AWS_DEFAULT_REGION:-$(aws configure get region || true)}}"
: "${REGION:?set AWS_REGION (or a default region in your AWS CLI profile)}"
export AWS_DEFAULT_REGION="$REGION" AWS_REGION="$REGION"
PACKAGE_DIR=build/package

ACCOUNT="$(aws sts get-caller-identity --query Account --output text)"
ARTIFACT_BUCKET="${ARTIFACT_BUCKET:-kyc-backoffice-artifacts-$ACCOUNT-$REGION}"
echo "stack $STACK, prefix $PREFIX, account $ACCOUNT, region $REGION"

# The Lambda zip and the template (over CloudFormation's 51 kB inline limit) travel through S3.
if ! aws s3api head-bucket --bucket "$ARTIFACT_BUCKET" 2>/dev/null; then
  echo "creating the artifact bucket $ARTIFACT_BUCKET"
  if [ "$REGION" = "us-east-1" ]; then
    aws s3api create-bucket --bucket "$ARTIFACT_BUCKET" >/dev/null
  else
    aws s3api create-bucket --bucket "$ARTIFACT_BUCKET" \
      --create-bucket-configuration "LocationConstraint=$REGION" >/dev/null
  fi
  aws s3api put-public-access-block --bucket "$ARTIFACT_BUCKET" --public-access-block-configuration \
    BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true
fi

aws cloudformation package \
  --template-file "$PACKAGE_DIR/sam.json" \
  --s3-bucket "$ARTIFACT_BUCKET" --s3-prefix "$STACK" \
  --use-json --output-template-file "$PACKAGE_DIR/packaged-$STAGE.json" >/dev/null

output() {
  aws cloudformation describe-stacks --stack-name "$STACK" \
    --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text 2>/dev/null || true
}

deploy_stack() {
  aws cloudformation deploy \
    --template-file "$PACKAGE_DIR/packaged-$STAGE.json" \
    --s3-bucket "$ARTIFACT_BUCKET" --s3-prefix "$STACK" \
    --stack-name "$STACK" \
    --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND \
    --no-fail-on-empty-changeset \
    --parameter-overrides \
      "Stage=$STAGE" \
      "ResourcePrefix=$PREFIX" \
      "WebhookUrl=${WEBHOOK_URL:-}" \
      "AppBaseUrl=$APP_BASE_URL" \
      "EmailSender=${EMAIL_SENDER:-}" \
      "AlarmEmail=${ALARM_EMAIL:-}" \
      "LogRetentionDays=${LOG_RETENTION_DAYS:-30}" \
      "LogLevel=${LOG_LEVEL:-INFO}" \
      "ApiRateLimit=${API_RATE_LIMIT:-100}" \
      "ApiBurstLimit=${API_BURST_LIMIT:-200}"
}

# Collection links in customer emails need the back office's public origin: a custom domain
# (APP_BASE_URL) or else the CloudFront URL. The functions cannot reference the distribution (it
# depends on the API, which depends on them), so a new stack is deployed once more with its URL.
APP_BASE_URL="${APP_BASE_URL:-$(output FrontendUrl)}"
deploy_stack
if [ -z "$APP_BASE_URL" ]; then
  APP_BASE_URL="$(output FrontendUrl)"
  echo "setting AppBaseUrl to $APP_BASE_URL"
  deploy_stack
fi

# Hashed assets never change, so browsers may keep them; index.html is always revalidated.
FRONTEND_BUCKET="$(output FrontendBucketName)"
if [ -d frontend/dist/assets ]; then
  aws s3 sync frontend/dist/assets "s3://$FRONTEND_BUCKET/assets" \
    --cache-control "public,max-age=31536000,immutable"
fi
aws s3 sync frontend/dist "s3://$FRONTEND_BUCKET" --exclude "assets/*" --delete \
  --cache-control "no-cache"
aws cloudfront create-invalidation --distribution-id "$(output DistributionId)" \
  --paths "/" "/index.html" >/dev/null

aws cloudformation describe-stacks --stack-name "$STACK" --query "Stacks[0].Outputs" --output table
echo "Back office: $(output FrontendUrl)   (first admin: see docs/deploy.md, step 4)"
