import { Construct } from "constructs";
import { Apigatewayv2Api } from "@cdktf/provider-aws/lib/apigatewayv2-api";
import { Apigatewayv2Authorizer } from "@cdktf/provider-aws/lib/apigatewayv2-authorizer";
import { Apigatewayv2Integration } from "@cdktf/provider-aws/lib/apigatewayv2-integration";
import { Apigatewayv2Route } from "@cdktf/provider-aws/lib/apigatewayv2-route";
import { Apigatewayv2Stage } from "@cdktf/provider-aws/lib/apigatewayv2-stage";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { LambdaAlias } from "@cdktf/provider-aws/lib/lambda-alias";
import { LambdaFunctionUrl } from "@cdktf/provider-aws/lib/lambda-function-url";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { Validator } from "./private/validation";
import { justifyCheckovSkip } from "./private/checkov";
import { nameElement } from "./private/naming";

/** The limits of the front doors. */
export const FRONT_DOOR_LIMITS = {
  /** An HTTP API's integration timeout, in seconds (API Gateway quota, not adjustable). */
  httpApiTimeoutSeconds: 30,
  /** A function URL waits for the function's own timeout, at most 15 minutes. */
  functionUrlTimeoutSeconds: 900,
  /** The function's timeout behind a function URL when unset. */
  functionUrlDefaultTimeoutSeconds: 300,
} as const;

/** JWT authorization of an HTTP API route (an OIDC or Cognito issuer). */
/** The HTTP API stage's access log line (JSON). */
export const HTTP_API_ACCESS_LOG_FORMAT = {
  requestId: "$context.requestId",
  ip: "$context.identity.sourceIp",
  caller: "$context.identity.caller",
  routeKey: "$context.routeKey",
  status: "$context.status",
  integrationLatency: "$context.integrationLatency",
  responseLatency: "$context.responseLatency",
} as const;

export interface JwtAuthorization {
  /** The issuer URL, e.g. `https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123`. */
  readonly issuer: string;
  /** Accepted audiences (client ids). */
  readonly audience: string[];
}

/** Props of {@link LambdaInferenceFrontDoor.httpApi}. */
export interface HttpApiFrontDoorProps {
  /**
   * How callers are authorized: `"iam"` (SigV4, `execute-api:Invoke`) or a JWT issuer.
   * @default "iam"
   */
  readonly authorization?: "iam" | { readonly jwt: JwtAuthorization };
  /**
   * Requests a second the stage admits, across callers.
   * @default 10
   */
  readonly throttlingRateLimit?: number;
  /**
   * Requests the stage admits at once.
   * @default 20
   */
  readonly throttlingBurstLimit?: number;
}

/** What the function tells its front door. */
export interface FrontDoorTarget {
  /** The alias the front door invokes (a published version; required for SnapStart). */
  readonly alias: LambdaAlias;
  /** The function's name. */
  readonly functionName: string;
  /** Seconds the function may run. */
  readonly timeoutSeconds: number;
  /** Days of log retention, for the access log. */
  readonly logRetentionDays: number;
  /** Tags. */
  readonly tags: Record<string, string>;
}

/** The front door's address and who may call it. */
export interface FrontDoorConfig {
  /** The URL to POST chat requests to. */
  readonly url: string;
  /** An IAM policy document (JSON) allowing a caller to invoke it; undefined for JWT. */
  readonly invokePolicyJson?: string;
}

/**
 * How requests reach the function. The default is its function URL with AWS_IAM auth: no other
 * service, no 30-second cap on an answer. An HTTP API (API Gateway v2) is for JWT callers
 * (Cognito, OIDC) and per-stage throttling, at the price of a 30-second integration timeout.
 */
export abstract class LambdaInferenceFrontDoor {
  /**
   * The function's URL, `AWS_IAM` auth, on the alias. BUFFERED invoke mode: Lambda streams responses
   * only from Node.js managed runtimes and custom runtimes, not from the Python runtime this
   * function uses (https://docs.aws.amazon.com/lambda/latest/dg/configuration-response-streaming.html).
   */
  public static functionUrl(): LambdaInferenceFrontDoor {
    return new (class extends LambdaInferenceFrontDoor {
      public readonly kind = "function URL";
      public readonly maxTimeoutSeconds = FRONT_DOOR_LIMITS.functionUrlTimeoutSeconds;
      public readonly defaultTimeoutSeconds = FRONT_DOOR_LIMITS.functionUrlDefaultTimeoutSeconds;
      public bind(scope: Construct, target: FrontDoorTarget): FrontDoorConfig {
        const url = nameElement(
          new LambdaFunctionUrl(scope, "FunctionUrl", {
            functionName: target.functionName,
            qualifier: target.alias.name,
            authorizationType: "AWS_IAM",
            invokeMode: "BUFFERED",
          }),
          scope,
        );
        // Since October 2025 a function URL needs both actions
        // (https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html).
        const policy = nameElement(
          new DataAwsIamPolicyDocument(scope, "InvokePolicy", {
            statement: [
              {
                sid: "InvokeFunctionUrl",
                actions: ["lambda:InvokeFunctionUrl"],
                resources: [target.alias.arn],
                condition: [{ test: "StringEquals", variable: "lambda:FunctionUrlAuthType", values: ["AWS_IAM"] }],
              },
              {
                sid: "InvokeThroughFunctionUrl",
                actions: ["lambda:InvokeFunction"],
                resources: [target.alias.arn],
                condition: [{ test: "Bool", variable: "lambda:InvokedViaFunctionUrl", values: ["true"] }],
              },
            ],
          }),
          scope,
          "invoke",
        );
        return { url: url.functionUrl, invokePolicyJson: policy.json };
      }
    })();
  }

  /** An HTTP API with one route, `POST /chat`, on the `$default` stage, with an access log. */
  public static httpApi(props: HttpApiFrontDoorProps = {}): LambdaInferenceFrontDoor {
    const v = new Validator();
    const problems = v.problems;
    const auth = props.authorization ?? "iam";
    if (auth !== "iam") {
      problems.when(
        !/^https:\/\/\S+$/.test(auth.jwt.issuer),
        `LambdaInferenceFrontDoor.httpApi: authorization.jwt.issuer must be an https URL, got ${JSON.stringify(auth.jwt.issuer)}`,
      );
      problems.when(
        auth.jwt.audience.length === 0,
        "LambdaInferenceFrontDoor.httpApi: authorization.jwt.audience must name at least one audience",
      );
    }
    const rate = props.throttlingRateLimit ?? 10;
    const burst = props.throttlingBurstLimit ?? 20;
    // API Gateway's account quotas: 10,000 requests a second, bursts of 5,000
    // (https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html).
    v.number("throttlingRateLimit", rate, { greaterThan: 0, max: 10000, what: "requests a second" });
    v.integer("throttlingBurstLimit", burst, 1, 5000, { unit: "requests" });
    problems.throwIfAny("LambdaInferenceFrontDoor.httpApi");
    return new (class extends LambdaInferenceFrontDoor {
      public readonly kind = "HTTP API";
      public readonly maxTimeoutSeconds = FRONT_DOOR_LIMITS.httpApiTimeoutSeconds;
      public readonly defaultTimeoutSeconds = FRONT_DOOR_LIMITS.httpApiTimeoutSeconds;
      public bind(scope: Construct, target: FrontDoorTarget): FrontDoorConfig {
        const routeKey = "POST /chat";
        const api = nameElement(
          new Apigatewayv2Api(scope, "Api", {
            name: target.functionName,
            protocolType: "HTTP",
            description: `Chat requests to the Lambda function ${target.functionName}`,
            tags: target.tags,
          }),
          scope,
        );
        const integration = nameElement(
          new Apigatewayv2Integration(scope, "Integration", {
            apiId: api.id,
            integrationType: "AWS_PROXY",
            integrationUri: target.alias.arn,
            payloadFormatVersion: "2.0",
            timeoutMilliseconds: Math.min(target.timeoutSeconds, FRONT_DOOR_LIMITS.httpApiTimeoutSeconds) * 1000,
          }),
          scope,
        );
        const authorizer =
          auth === "iam"
            ? undefined
            : nameElement(
                new Apigatewayv2Authorizer(scope, "Authorizer", {
                  apiId: api.id,
                  name: "jwt",
                  authorizerType: "JWT",
                  identitySources: ["$request.header.Authorization"],
                  jwtConfiguration: { issuer: auth.jwt.issuer, audience: auth.jwt.audience },
                }),
                scope,
              );
        nameElement(
          new Apigatewayv2Route(scope, "Route", {
            apiId: api.id,
            routeKey,
            target: `integrations/${integration.id}`,
            authorizationType: auth === "iam" ? "AWS_IAM" : "JWT",
            authorizerId: authorizer?.id,
          }),
          scope,
        );
        const accessLog = nameElement(
          new CloudwatchLogGroup(scope, "AccessLog", {
            name: `/aws/apigateway/${target.functionName}`,
            retentionInDays: target.logRetentionDays,
            tags: target.tags,
          }),
          scope,
          "access",
        );
        justifyCheckovSkip(
          accessLog,
          "CKV_AWS_158",
          "Access logs hold request metadata, no bodies; CloudWatch encrypts them with its own key.",
        );
        justifyCheckovSkip(
          accessLog,
          "CKV_AWS_338",
          "The retention is the function's logRetentionDays, a choice of the stack, not a year by default.",
        );
        nameElement(
          new Apigatewayv2Stage(scope, "Stage", {
            apiId: api.id,
            name: "$default",
            autoDeploy: true,
            accessLogSettings: {
              destinationArn: accessLog.arn,
              format: JSON.stringify(HTTP_API_ACCESS_LOG_FORMAT),
            },
            defaultRouteSettings: { throttlingRateLimit: rate, throttlingBurstLimit: burst },
            tags: target.tags,
          }),
          scope,
        );
        nameElement(
          new LambdaPermission(scope, "ApiPermission", {
            statementId: "AllowHttpApi",
            action: "lambda:InvokeFunction",
            functionName: target.functionName,
            qualifier: target.alias.name,
            principal: "apigateway.amazonaws.com",
            sourceArn: `${api.executionArn}/*/POST/chat`,
          }),
          scope,
          "api",
        );
        const invoke =
          auth === "iam"
            ? nameElement(
                new DataAwsIamPolicyDocument(scope, "InvokePolicy", {
                  statement: [
                    { sid: "InvokeChatRoute", actions: ["execute-api:Invoke"], resources: [`${api.executionArn}/$default/POST/chat`] },
                  ],
                }),
                scope,
                "invoke",
              ).json
            : undefined;
        return { url: `${api.apiEndpoint}/chat`, invokePolicyJson: invoke };
      }
    })();
  }

  /** `function URL` or `HTTP API`, for messages. */
  public abstract readonly kind: string;
  /** The longest function timeout that makes sense behind this front door, in seconds. */
  public abstract readonly maxTimeoutSeconds: number;
  /** The function timeout when timeoutSeconds is unset. */
  public abstract readonly defaultTimeoutSeconds: number;
  /** Creates the front door in front of the function's alias. */
  public abstract bind(scope: Construct, target: FrontDoorTarget): FrontDoorConfig;
}
