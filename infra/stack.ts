import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  aws_apigateway as apigwv1,
  aws_apigatewayv2 as apigw,
  aws_apigatewayv2_integrations as integrations,
  aws_cloudwatch as cloudwatch,
  aws_cloudwatch_actions as cwActions,
  aws_ecr_assets as ecrAssets,
  aws_events as events,
  aws_events_targets as targets,
  aws_iam as iam,
  aws_kms as kms,
  aws_lambda as lambda,
  aws_lambda_destinations as destinations,
  aws_lambda_event_sources as sources,
  aws_lambda_nodejs as nodejs,
  aws_logs as logs,
  aws_secretsmanager as secretsmanager,
  aws_sns as sns,
  aws_sqs as sqs,
  Aws,
  CfnCondition,
  CfnOutput,
  CfnParameter,
  Duration,
  Fn,
  RemovalPolicy,
  Stack,
  type StackProps,
} from "aws-cdk-lib";
import type { Construct } from "constructs";
import { type NagPackSuppression, NagSuppressions } from "cdk-nag";
import { EVENT_RULES, EVENT_SOURCE } from "../layers/core/ports/event-bus.js";
import { routes } from "../functions/routes.js";
import { BUNDLE_BANNER, buildImageTask } from "./image-task.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const RUNTIME = lambda.Runtime.NODEJS_22_X;
const CLASSIFIER_TIMEOUT = Duration.seconds(60);
/**
 * The Retrainer (README "Learning from corrections"): a 10,000-example retrain measured ~2 minutes single-threaded
 * on 2 shared cores (MODEL_CARD.md "Cost"), ~220 MB at its peak beside the encoder's ~400 MB: 5 minutes and 3 GB
 * (Lambda's CPU share grows with memory; 3 GB is about two vCPUs) leave room for twice that.
 */
export const RETRAINER_TIMEOUT = Duration.minutes(5);
export const RETRAINER_MEMORY_MB = 3072;
// Classifier instances per lane (README "Flood lanes"): the flood lane gets 2 (SQS event sources' minimum)
// beside the main lane's 10, so during a flood the other tickets keep 10 of every 12 instances.
const MAIN_LANE_MAX_CONCURRENCY = 10;
const FLOOD_LANE_MAX_CONCURRENCY = 2;
/** How long every function's and the API's logs are kept. */
export const LOG_RETENTION = logs.RetentionDays.ONE_MONTH;
/**
 * Concurrency reserved for (and capping) the public model route: a burst of `POST /urgency-score` runs at most
 * this many 2 GB image instances, so it can neither exhaust the account's concurrency the classifier draws on
 * nor run up the bill. Lambda keeps at least 100 of the account's concurrency unreserved, so the account's
 * limit must be ≥ 100 + this (new accounts may have to ask for the default 1000).
 */
export const MODEL_ROUTE_RESERVED_CONCURRENCY = 5;
/** Lambda's own retries of an asynchronous invocation (EventBridge → function) that threw; 2 is the maximum. */
export const ASYNC_RETRY_ATTEMPTS = 2;
const ASYNC_MAX_EVENT_AGE = Duration.hours(2);

/** One function name per route: the route table's name, as CloudFormation ids want it. */
const pascal = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Why each AwsSolutions rule that does not fit is suppressed; attached per resource below. */
const NAG: Record<"basicRole" | "runtime" | "dlq", NagPackSuppression> = {
  basicRole: {
    id: "AwsSolutions-IAM4",
    reason:
      "AWSLambdaBasicExecutionRole only lets the function write its own CloudWatch logs; it is the AWS-maintained policy for exactly that.",
    appliesTo: ["Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"],
  },
  runtime: {
    id: "AwsSolutions-L1",
    reason:
      "nodejs22.x is a supported Lambda runtime (DESIGN §11); the bundles target node22, the version the tests run against. Moving to nodejs24.x is a deliberate upgrade, not a lint fix.",
  },
  dlq: {
    id: "AwsSolutions-SQS3",
    reason:
      "This queue IS a dead-letter / on-failure queue (of an EventBridge target or a Lambda async destination, which cdk-nag does not trace); a DLQ of a DLQ would only move the same messages once more. It is alarmed instead.",
  },
};

export class SmartSupportStack extends Stack {
  readonly api: apigw.HttpApi;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    // Non-secret settings are stack parameters (no context look-ups); secrets live in Secrets Manager.
    const upstashUrl = new CfnParameter(this, "UpstashRestUrl", {
      type: "String",
      description: "Upstash Redis REST URL (https://….upstash.io); its token goes into the stack's secret",
    });
    const routingOffers = new CfnParameter(this, "RoutingOffers", {
      type: "String",
      default: "false",
      allowedValues: ["true", "false"],
      description: "true: routing offers each ticket to an agent, who accepts or rejects it within RoutingOfferTimeoutSeconds (README \"Offers and finishing work\"); false: immediate assignment",
    });
    const routingOfferTimeout = new CfnParameter(this, "RoutingOfferTimeoutSeconds", { type: "Number", default: 120, minValue: 1, description: "How long an agent has to accept an offer" });
    const webhookFormat = new CfnParameter(this, "WebhookFormat", {
      type: "String",
      default: "generic",
      allowedValues: ["generic", "slack", "discord"],
      description: "Shape of the alert webhook's body (its URL and signing secret are in the stack's secret)",
    });
    const alarmEmail = new CfnParameter(this, "AlarmEmail", {
      type: "String",
      default: "",
      allowedPattern: "^$|^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$",
      constraintDescription: "an e-mail address, or empty for no subscription",
      description: "Who is e-mailed when an alarm fires (confirm the subscription mail); empty = no subscription",
    });
    const corsOrigins = new CfnParameter(this, "CorsAllowedOrigins", {
      type: "String",
      default: "",
      // Split on "," at deploy time, so no spaces; each origin is scheme://host[:port], or the single "*".
      allowedPattern: "^$|^\\*$|^https?://[^,\\s/]+(,https?://[^,\\s/]+)*$",
      constraintDescription: 'comma-separated origins without spaces (https://a.example,https://b.example), "*", or empty',
      description: "Browser origins allowed to call the API (CORS), comma-separated; empty = CORS off",
    });
    const throttleRate = new CfnParameter(this, "ApiThrottleRateLimit", {
      type: "Number",
      default: 100,
      minValue: 1,
      description: "Steady-state requests per second the API's $default stage accepts (beyond it: 429)",
    });
    const throttleBurst = new CfnParameter(this, "ApiThrottleBurstLimit", {
      type: "Number",
      default: 200,
      minValue: 1,
      description: "Burst of requests the API's $default stage accepts above the rate",
    });
    const hasAlarmEmail = new CfnCondition(this, "HasAlarmEmail", {
      expression: Fn.conditionNot(Fn.conditionEquals(alarmEmail.valueAsString, "")),
    });
    const corsEnabled = new CfnCondition(this, "CorsEnabled", {
      expression: Fn.conditionNot(Fn.conditionEquals(corsOrigins.valueAsString, "")),
    });

    const secret = new secretsmanager.Secret(this, "Secrets", {
      description: "Smart-Support: UPSTASH_REDIS_REST_TOKEN, WEBHOOK_URL, WEBHOOK_SECRET, API_KEY (JSON)",
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ UPSTASH_REDIS_REST_TOKEN: "set-me", WEBHOOK_URL: "", WEBHOOK_SECRET: "" }),
        generateStringKey: "API_KEY",
        excludePunctuation: true,
        passwordLength: 40,
      },
    });
    NagSuppressions.addResourceSuppressions(secret, [
      {
        id: "AwsSolutions-SMG4",
        reason:
          "The values are third-party credentials (Upstash token, webhook URL/secret) rotated in those services and pasted here; API_KEY is shared with clients, so its rotation is an operator's decision. No rotation Lambda could do either.",
      },
    ]);

    // Where alarms go: an encrypted topic. CloudWatch cannot publish to a topic under the AWS-managed SNS key,
    // so the topic has its own key whose policy lets CloudWatch use it.
    const alarmsKey = new kms.Key(this, "AlarmsKey", {
      description: "Encrypts the Smart-Support alarms topic",
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    alarmsKey.grant(new iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*");
    const alarmsTopic = new sns.Topic(this, "AlarmsTopic", { masterKey: alarmsKey, enforceSSL: true });
    const subscription = new sns.CfnSubscription(this, "AlarmEmailSubscription", {
      topicArn: alarmsTopic.topicArn,
      protocol: "email",
      endpoint: alarmEmail.valueAsString,
    });
    subscription.cfnOptions.condition = hasAlarmEmail;

    const queue = (name: string, props: sqs.QueueProps = {}) =>
      new sqs.Queue(this, name, { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true, ...props });
    const intakeDlq = queue("IntakeDlq", { retentionPeriod: Duration.days(14) });
    const lane = (name: string) =>
      queue(name, {
        // AWS's rule for Lambda event sources: at least six times the function's timeout.
        visibilityTimeout: Duration.seconds(6 * CLASSIFIER_TIMEOUT.toSeconds()),
        deadLetterQueue: { queue: intakeDlq, maxReceiveCount: 5 },
      });
    // The intake queue's two lanes (README "Flood lanes"): intake sends the tickets of a flood in progress to
    // the flood lane, whose event source runs at most FLOOD_LANE_MAX_CONCURRENCY classifiers, so a flood
    // cannot take the capacity the main lane's tickets need.
    const intake = lane("Intake");
    const floodLane = lane("IntakeFlood");
    // Named after the stack (resolved at deploy), so two stages of the app fit one account and region.
    const bus = new events.EventBus(this, "Bus", { eventBusName: `${Aws.STACK_NAME}-events` });
    // Delivery failures (EventBridge could not invoke the function) …
    const eventsDlq = queue("EventTargetsDlq", { retentionPeriod: Duration.days(14) });
    // … and handler failures (the function ran, threw, and Lambda's async retries ran out).
    const eventHandlerFailures = queue("EventHandlerFailures", { retentionPeriod: Duration.days(14) });
    // (cdk-nag recognises the intake DLQ from the redrive policy; these two are targets' and destinations' DLQs.)
    for (const q of [eventsDlq, eventHandlerFailures]) NagSuppressions.addResourceSuppressions(q, [NAG.dlq]);

    const environment = {
      UPSTASH_REDIS_REST_URL: upstashUrl.valueAsString,
      WEBHOOK_FORMAT: webhookFormat.valueAsString,
      ROUTING_OFFERS: routingOffers.valueAsString,
      ROUTING_OFFER_TIMEOUT_SECONDS: routingOfferTimeout.valueAsString,
      QUEUE_URL: intake.queueUrl,
      FLOOD_QUEUE_URL: floodLane.queueUrl,
      EVENT_BUS_NAME: bus.eventBusName,
      SECRETS_ARN: secret.secretArn,
      POWERTOOLS_SERVICE_NAME: "smart-support",
      NODE_OPTIONS: "--enable-source-maps",
    };

    /** Each function logs to its own group, kept LOG_RETENTION and deleted with the stack. */
    const logGroup = (name: string) =>
      new logs.LogGroup(this, `${name}Logs`, { retention: LOG_RETENTION, removalPolicy: RemovalPolicy.DESTROY });
    const allFunctions: lambda.Function[] = [];

    // The container image: classifier and model-backed routes, built from the task folder the rehearsal runs.
    // Its own folder per synth: two synths at once (test files run in parallel) must not rebuild one folder.
    const taskFolder = buildImageTask(mkdtempSync(join(tmpdir(), "ss-image-task-")));
    const image = (cmd: string) =>
      lambda.DockerImageCode.fromImageAsset(taskFolder, { cmd: [cmd], platform: ecrAssets.Platform.LINUX_AMD64 });
    const classifier = new lambda.DockerImageFunction(this, "Classifier", {
      code: image("classifier.handler"),
      architecture: lambda.Architecture.X86_64, // must match the image's platform (infra/image-task.ts says why)
      memorySize: 2048,
      timeout: CLASSIFIER_TIMEOUT,
      environment,
      logGroup: logGroup("Classifier"),
      description: "Classifies, dedups and routes queue batches (MiniLM ONNX)",
    });
    allFunctions.push(classifier);
    for (const [q, maxConcurrency] of [[intake, MAIN_LANE_MAX_CONCURRENCY], [floodLane, FLOOD_LANE_MAX_CONCURRENCY]] as const) {
      classifier.addEventSource(new sources.SqsEventSource(q, { batchSize: 32, maxBatchingWindow: Duration.seconds(1), reportBatchItemFailures: true, maxConcurrency }));
    }

    // Zip functions are plain JavaScript, the same bytes on any CPU: arm64 (Graviton) costs ~20% less per
    // GB-second. Everything they import is inside the bundle (the AWS SDK too, at the version tested here);
    // nothing is external, so a bundle that reached for onnxruntime would not load at all.
    const zipFunction = (name: string, entry: string, extra: Partial<nodejs.NodejsFunctionProps> = {}) => {
      const fn = new nodejs.NodejsFunction(this, name, {
        entry: `${ROOT}/${entry}`,
        handler: "handler",
        runtime: RUNTIME,
        architecture: lambda.Architecture.ARM_64,
        memorySize: 256,
        timeout: Duration.seconds(10),
        environment: { ...environment, DASHBOARD_DIR: "/var/task/dashboard/" },
        logGroup: logGroup(name),
        projectRoot: ROOT,
        depsLockFilePath: `${ROOT}/package-lock.json`,
        bundling: {
          format: nodejs.OutputFormat.ESM,
          target: "node22",
          minify: true,
          sourceMap: true,
          bundleAwsSDK: true,
          externalModules: [],
          banner: BUNDLE_BANNER,
          commandHooks: {
            beforeBundling: () => [],
            beforeInstall: () => [],
            // The Lua scripts are read from beside the bundle at start-up; the built dashboard is served by
            // the `/` and `/assets/{file}` routes.
            afterBundling: (input: string, output: string) => [
              `cp -r ${input}/layers/core/store/lua/*.lua ${input}/layers/core/store/lua/includes ${output}/`,
              `cp -r ${input}/dashboard/dist ${output}/dashboard`,
            ],
          },
        },
        ...extra,
      });
      NagSuppressions.addResourceSuppressions(fn, [NAG.runtime]);
      allFunctions.push(fn);
      return fn;
    };

    // The $default stage is declared here rather than by HttpApi so it can carry throttling and access logs.
    const accessLogs = new logs.LogGroup(this, "ApiAccessLogs", { retention: LOG_RETENTION, removalPolicy: RemovalPolicy.DESTROY });
    this.api = new apigw.HttpApi(this, "Api", {
      apiName: `${Aws.STACK_NAME}-api`,
      description: "Smart-Support HTTP API",
      createDefaultStage: false,
    });
    this.api.addStage("DefaultStage", {
      stageName: "$default",
      autoDeploy: true,
      throttle: { rateLimit: throttleRate.valueAsNumber, burstLimit: throttleBurst.valueAsNumber },
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(accessLogs),
        format: apigwv1.AccessLogFormat.custom(
          JSON.stringify({
            requestId: "$context.requestId",
            ip: "$context.identity.sourceIp",
            requestTime: "$context.requestTime",
            routeKey: "$context.routeKey",
            path: "$context.path",
            status: "$context.status",
            protocol: "$context.protocol",
            responseLength: "$context.responseLength",
            responseLatency: "$context.responseLatency",
            integrationStatus: "$context.integrationStatus",
            integrationLatency: "$context.integrationLatency",
            integrationError: "$context.integrationErrorMessage",
            userAgent: "$context.identity.userAgent",
          }),
        ),
      },
    });

    // CORS for browser intake. HttpApi's corsPreflight wants concrete origins at synth time, but they are a
    // deploy-time parameter: the CfnApi's CorsConfiguration is set only when the parameter is not empty, its
    // origins split from the parameter by CloudFormation.
    const corsMethods = [...new Set(routes.map((r) => r.method))].sort();
    const cfnApi = this.api.node.defaultChild as apigw.CfnApi;
    cfnApi.corsConfiguration = Fn.conditionIf(
      corsEnabled.logicalId,
      {
        AllowOrigins: Fn.split(",", corsOrigins.valueAsString),
        AllowMethods: corsMethods,
        AllowHeaders: ["authorization", "content-type"],
        ExposeHeaders: ["link"],
        MaxAge: 600,
      },
      Aws.NO_VALUE,
    );

    const apiFunctions: lambda.Function[] = [];
    let modelRoute: lambda.Function | undefined;
    for (const r of routes) {
      const name = `Route${pascal(r.name)}`;
      // The model routes share one image function (named after the first in the table): one warm model serves
      // them all, under one reserved cap.
      const fn = r.needsModel
        ? modelRoute ?? new lambda.DockerImageFunction(this, name, {
            code: image("model-api.handler"),
            architecture: lambda.Architecture.X86_64,
            memorySize: 2048,
            timeout: Duration.seconds(10),
            environment,
            logGroup: logGroup(name),
            // A burst on the public scoring route is capped here instead of taking the classifier's concurrency.
            reservedConcurrentExecutions: MODEL_ROUTE_RESERVED_CONCURRENCY,
          })
        : zipFunction(name, "functions/api/lambda.ts");
      if (r.needsModel && !modelRoute) {
        allFunctions.push(fn);
        modelRoute = fn;
      }
      const apiRoutes = this.api.addRoutes({
        path: r.path,
        methods: [r.method as apigw.HttpMethod],
        integration: new integrations.HttpLambdaIntegration(`${name}Integration`, fn),
      });
      // No API Gateway authorizer: the API is public by contract (CONTRACT.md); where a route needs a caller's
      // identity, the application checks `Authorization: Bearer <API_KEY>` (the key lives in the stack's secret).
      NagSuppressions.addResourceSuppressions(apiRoutes, [
        {
          id: "AwsSolutions-APIG4",
          reason: r.auth
            ? `${r.method} ${r.path} mutates state: the application requires the API key (Authorization: Bearer, from the stack's secret) before it acts; an API Gateway authorizer would duplicate that check and add a Lambda hop.`
            : `${r.method} ${r.path} is public by contract (ticket intake, scoring, reads and docs need no identity, as on the local server); abuse is bounded by stage throttling${r.needsModel ? " and this function's reserved concurrency" : ""}.`,
        },
      ]);
      if (!apiFunctions.includes(fn)) apiFunctions.push(fn);
      if (r.name === "submitTicket" || r.name === "submitTicketBatch") for (const q of [intake, floodLane]) q.grantSendMessages(fn);
    }

    const activity = zipFunction("Activity", "functions/activity/lambda.ts");
    const webhook = zipFunction("Webhook", "functions/webhook/lambda.ts", { timeout: Duration.seconds(60) });
    // Offers past their deadline go to the next agent: swept every minute (and by every classifier batch).
    const sweeper = zipFunction("OfferSweeper", "functions/sweeper/lambda.ts");
    new events.Rule(this, "OfferSweepSchedule", { schedule: events.Schedule.rate(Duration.minutes(1)), targets: [new targets.LambdaFunction(sweeper)] });
    // Retrain jobs (POST /models/retrain, and every LEARNING_RETRAIN_EVERY corrections) wait in Redis; the
    // classifier's image with its own handler looks every minute and runs them, one retrain at a time.
    const retrainer = new lambda.DockerImageFunction(this, "Retrainer", {
      code: image("retrainer.handler"),
      architecture: lambda.Architecture.X86_64,
      memorySize: RETRAINER_MEMORY_MB,
      timeout: RETRAINER_TIMEOUT,
      environment,
      logGroup: logGroup("Retrainer"),
      description: "Retrains the heads on agents' corrections; stores a version, promoted only past the guard",
    });
    allFunctions.push(retrainer);
    new events.Rule(this, "RetrainSchedule", { schedule: events.Schedule.rate(Duration.minutes(1)), targets: [new targets.LambdaFunction(retrainer)] });
    // A run that fails or times out leaves its jobs claimed in Redis: a later run takes them again once their
    // claim is LEARNING_JOB_TIMEOUT_SECONDS old (dead-lettered after LEARNING_JOB_MAX_ATTEMPTS).
    secret.grantRead(retrainer);
    bus.grantPutEventsTo(retrainer);
    // EventBridge invokes its targets asynchronously: its retry policy and DLQ cover delivery; an error thrown
    // inside the function is Lambda's to retry, and once those retries run out the event is kept on a queue.
    for (const fn of [activity, webhook, sweeper, retrainer]) {
      fn.configureAsyncInvoke({
        onFailure: new destinations.SqsDestination(eventHandlerFailures),
        retryAttempts: ASYNC_RETRY_ATTEMPTS,
        maxEventAge: ASYNC_MAX_EVENT_AGE,
      });
    }
    const ruleTargets = { activity, webhooks: webhook } as const;
    for (const [rule, types] of Object.entries(EVENT_RULES) as [keyof typeof EVENT_RULES, readonly string[]][]) {
      new events.Rule(this, `${pascal(rule)}Rule`, {
        eventBus: bus,
        eventPattern: { source: [EVENT_SOURCE], detailType: [...types] },
        targets: [
          new targets.LambdaFunction(ruleTargets[rule], {
            retryAttempts: 4,
            maxEventAge: Duration.hours(2),
            deadLetterQueue: eventsDlq,
          }),
        ],
      });
    }

    for (const fn of [...apiFunctions, classifier, activity, webhook, sweeper]) secret.grantRead(fn);
    for (const fn of [...apiFunctions, classifier, webhook, sweeper]) bus.grantPutEventsTo(fn);
    for (const fn of allFunctions) NagSuppressions.addResourceSuppressions(fn.role!, [NAG.basicRole]);

    // Alarms: each one mails the topic when it fires and when it recovers.
    const alarmAction = new cwActions.SnsAction(alarmsTopic);
    const alarm = (
      id: string,
      metric: cloudwatch.IMetric,
      description: string,
      opts: { threshold?: number; evaluationPeriods?: number } = {},
    ) => {
      const a = new cloudwatch.Alarm(this, id, {
        metric,
        threshold: opts.threshold ?? 1,
        evaluationPeriods: opts.evaluationPeriods ?? 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      a.addAlarmAction(alarmAction);
      a.addOkAction(alarmAction);
      return a;
    };
    const breakerOpened = customMetric("BreakerOpened");
    alarm("IntakeDlqAlarm", intakeDlq.metricApproximateNumberOfMessagesVisible(), "Tickets failed 5 times and sit in the intake DLQ");
    alarm("EventTargetsDlqAlarm", eventsDlq.metricApproximateNumberOfMessagesVisible(), "Activity/webhook events could not be delivered");
    alarm(
      "EventHandlerFailuresAlarm",
      eventHandlerFailures.metricApproximateNumberOfMessagesVisible(),
      "The activity or webhook function failed on an event after Lambda's retries; the event is kept on the on-failure queue",
    );
    alarm("ClassifierErrorsAlarm", classifier.metricErrors({ period: Duration.minutes(5) }), "The classifier function failed");
    alarm(
      "IntakeBacklogAlarm",
      intake.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: "Maximum" }),
      "A ticket has waited over 10 minutes in the intake queue for 15 minutes: the classifier is not keeping up or not running",
      { threshold: 600, evaluationPeriods: 3 },
    );
    alarm(
      "ApiServerErrorsAlarm",
      this.api.metricServerError({ period: Duration.minutes(5) }),
      "The API answered 5xx at least 5 times in 5 minutes",
      { threshold: 5 },
    );
    alarm("BreakerOpenAlarm", breakerOpened, "The transformer's circuit breaker opened: tickets are scored by the baseline");

    const fiveMin = { period: Duration.minutes(5) };
    const dashboard = new cloudwatch.Dashboard(this, "Dashboard", { defaultInterval: Duration.hours(3) });
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: "API requests and errors",
        left: [this.api.metricCount(fiveMin), this.api.metricClientError(fiveMin), this.api.metricServerError(fiveMin)],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: "API latency (p50 / p99)",
        left: [this.api.metricLatency({ ...fiveMin, statistic: "p50" }), this.api.metricLatency({ ...fiveMin, statistic: "p99" })],
        right: [this.api.metricIntegrationLatency({ ...fiveMin, statistic: "p99" })],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: "Intake lanes: waiting (left), oldest age (right)",
        left: [intake, floodLane].map((q) => q.metricApproximateNumberOfMessagesVisible(fiveMin)),
        right: [intake, floodLane].map((q) => q.metricApproximateAgeOfOldestMessage({ ...fiveMin, statistic: "Maximum" })),
        width: 8,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: "Dead letters and failed events",
        left: [
          intakeDlq.metricApproximateNumberOfMessagesVisible(fiveMin),
          eventsDlq.metricApproximateNumberOfMessagesVisible(fiveMin),
          eventHandlerFailures.metricApproximateNumberOfMessagesVisible(fiveMin),
        ],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: "Classifier errors / throttles and duration",
        left: [classifier.metricErrors(fiveMin), classifier.metricThrottles(fiveMin)],
        right: [classifier.metricDuration({ ...fiveMin, statistic: "p99" })],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: "Concurrency (classifier, model route)",
        left: [
          classifier.metric("ConcurrentExecutions", { ...fiveMin, statistic: "Maximum", label: "classifier" }),
          ...(modelRoute ? [modelRoute.metric("ConcurrentExecutions", { ...fiveMin, statistic: "Maximum", label: "model route" })] : []),
        ],
        width: 8,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: "Tickets (SmartSupport metrics)",
        left: ["TicketsProcessed", "ScoredByModel", "ScoredByBaseline"].map((m) => customMetric(m)),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: "Incidents and breaker",
        left: [customMetric("IncidentsCreated"), breakerOpened],
        width: 12,
      }),
    );

    new CfnOutput(this, "ApiUrl", { value: this.api.apiEndpoint, description: "Base URL for the seed's curl walkthrough" });
    new CfnOutput(this, "SecretArn", {
      value: secret.secretArn,
      description: "Put UPSTASH_REDIS_REST_TOKEN (and WEBHOOK_URL, WEBHOOK_SECRET) here",
    });
    new CfnOutput(this, "AlarmsTopicArn", { value: alarmsTopic.topicArn, description: "Every alarm notifies this topic" });
    new CfnOutput(this, "DashboardName", { value: dashboard.dashboardName });
    // For `sam local` (README): functions run on your machine against this stack's queue, bus and secret.
    new CfnOutput(this, "IntakeQueueUrl", { value: intake.queueUrl });
    new CfnOutput(this, "FloodLaneQueueUrl", { value: floodLane.queueUrl });
    new CfnOutput(this, "EventBusName", { value: bus.eventBusName });
  }
}

/** The application's EMF metrics (functions/lambda/metrics-bus.ts): namespace SmartSupport, service dimension. */
function customMetric(metricName: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: "SmartSupport",
    metricName,
    dimensionsMap: { service: "smart-support" },
    statistic: "Sum",
    period: Duration.minutes(5),
  });
}
