// Reads what `cdk synth` wrote to cdk.out/: the stack's template and the staged assets, and answers the
// questions the rehearsal asks — which functions exist and where their code is, which routes invoke which
// function, what feeds them — in the template's own terms (logical ids), resolving intrinsic functions
// against the values the local stand-ins give the resources.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export interface Resource {
  Type: string;
  Properties?: Record<string, Json>;
  Metadata?: Record<string, Json>;
}
export interface Template {
  Parameters?: Record<string, { Type: string; Default?: string | number }>;
  Conditions?: Record<string, Json>;
  Resources: Record<string, Resource>;
}

export interface FunctionSpec {
  logicalId: string;
  /** zip: the asset folder holds the bundle; image: the task folder the Dockerfile copies into /var/task. */
  packageType: "Zip" | "Image";
  assetDir: string;
  /** "index.handler" (zip Handler) or the image's CMD ("classifier.handler"). */
  handler: string;
  /** Environment variables as the template writes them (intrinsics unresolved). */
  environment: Record<string, Json>;
  /** ENV lines of the image's Dockerfile (an image function starts with them, then the template's). */
  imageEnvironment: Record<string, string>;
  timeoutSeconds: number;
  memoryMb: number;
  architecture: string;
  reservedConcurrency?: number;
}

/** What an intrinsic resolves to, per logical id (Ref) and attribute (Fn::GetAtt). */
export interface ResolvedResource {
  ref: string;
  attributes?: Record<string, string>;
}

export class CloudAssembly {
  readonly template: Template;

  constructor(
    readonly dir: string,
    readonly stackName: string,
  ) {
    const file = join(dir, `${stackName}.template.json`);
    if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run synth\` first`);
    this.template = JSON.parse(readFileSync(file, "utf8")) as Template;
  }

  /** The single stack of a cloud assembly folder (its *.template.json). */
  static open(dir: string): CloudAssembly {
    const templates = readdirSync(dir).filter((f) => f.endsWith(".template.json"));
    if (templates.length !== 1) throw new Error(`${dir}: expected one stack template, found ${templates.length}`);
    return new CloudAssembly(dir, templates[0]!.replace(/\.template\.json$/, ""));
  }

  resources(type: string): [string, Resource][] {
    return Object.entries(this.template.Resources).filter(([, r]) => r.Type === type);
  }

  resource(logicalId: string): Resource {
    const r = this.template.Resources[logicalId];
    if (!r) throw new Error(`template has no resource ${logicalId}`);
    return r;
  }

  functions(): FunctionSpec[] {
    return this.resources("AWS::Lambda::Function").map(([logicalId, r]) => {
      const p = r.Properties ?? {};
      const packageType = p.PackageType === "Image" ? "Image" : "Zip";
      const assetDir = join(this.dir, this.assetPath(logicalId, p.Code as Record<string, Json>, packageType));
      const imageEnvironment = packageType === "Image" ? dockerfileEnv(join(assetDir, "Dockerfile")) : {};
      const command = ((p.ImageConfig as { Command?: string[] } | undefined)?.Command ?? [])[0];
      return {
        logicalId,
        packageType,
        assetDir,
        handler: packageType === "Image" ? (command ?? dockerfileCmd(join(assetDir, "Dockerfile"))) : String(p.Handler),
        environment: ((p.Environment as { Variables?: Record<string, Json> } | undefined)?.Variables ?? {}) as Record<string, Json>,
        imageEnvironment,
        timeoutSeconds: Number(p.Timeout ?? 3),
        memoryMb: Number(p.MemorySize ?? 128),
        architecture: String((p.Architectures as string[] | undefined)?.[0] ?? "x86_64"),
        reservedConcurrency: p.ReservedConcurrentExecutions === undefined ? undefined : Number(p.ReservedConcurrentExecutions),
      };
    });
  }

  /**
   * Where a function's code was staged, from the assets manifest: a zip's S3Key is `<hash>.zip`, an image's
   * URI ends in `:<hash>`; the manifest maps the hash to the folder.
   */
  private assetPath(logicalId: string, code: Record<string, Json>, type: "Zip" | "Image"): string {
    this.assets ??= JSON.parse(readFileSync(join(this.dir, `${this.stackName}.assets.json`), "utf8")) as typeof this.assets;
    const text = JSON.stringify(type === "Zip" ? code.S3Key : code.ImageUri);
    const hash = (type === "Zip" ? /"([0-9a-f]{64})\.zip"/ : /:([0-9a-f]{64})"/).exec(text)?.[1];
    const source = hash && (type === "Zip" ? this.assets!.files[hash]?.source.path : this.assets!.dockerImages[hash]?.source.directory);
    if (!source) throw new Error(`${logicalId}: its code is not a staged asset of ${this.dir}`);
    return source;
  }
  private assets?: { files: Record<string, { source: { path: string } }>; dockerImages: Record<string, { source: { directory: string } }> };

  /** The logical id an intrinsic like {Ref: X} or {Fn::GetAtt: [X, "Arn"]} points at. */
  static target(value: Json | undefined): string {
    if (value && typeof value === "object" && !Array.isArray(value)) {
      if (typeof value.Ref === "string") return value.Ref;
      const att = value["Fn::GetAtt"];
      if (Array.isArray(att) && typeof att[0] === "string") return att[0];
    }
    throw new Error(`expected a Ref or Fn::GetAtt, got ${JSON.stringify(value)}`);
  }
}

/** Resolves CloudFormation intrinsics with the values the rehearsal gave parameters and resources. */
export class Resolver {
  constructor(
    private readonly template: Template,
    private readonly values: {
      parameters: Record<string, string>;
      pseudo: Record<string, string>;
      resources: Record<string, ResolvedResource>;
    },
  ) {}

  condition(name: string): boolean {
    const c = this.template.Conditions?.[name];
    if (c === undefined) throw new Error(`template has no condition ${name}`);
    return Boolean(this.resolve(c));
  }

  resolve(v: Json): Json {
    if (v === null || typeof v !== "object") return v;
    if (Array.isArray(v)) return v.map((x) => this.resolve(x));
    const [key, arg = null] = Object.entries(v)[0] ?? [];
    if (Object.keys(v).length !== 1 || !key || !(key === "Ref" || key.startsWith("Fn::") || key === "Condition")) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.resolve(x)]));
    }
    switch (key) {
      case "Ref":
        return this.ref(String(arg));
      case "Fn::GetAtt": {
        const [id, attr] = Array.isArray(arg) ? arg.map(String) : String(arg).split(".");
        const value = this.values.resources[id!]?.attributes?.[attr!];
        if (value === undefined) throw new Error(`the rehearsal has no value for ${id}.${attr}`);
        return value;
      }
      case "Fn::Join": {
        const [sep, parts] = arg as [string, Json[]];
        return (this.resolve(parts) as Json[]).map(String).join(sep);
      }
      case "Fn::Sub": {
        const [text, vars] = typeof arg === "string" ? [arg, {}] : (arg as [string, Record<string, Json>]);
        return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
          if (name in vars) return String(this.resolve(vars[name]!));
          const [id, attr] = name.split(".");
          return String(attr ? this.resolve({ "Fn::GetAtt": [id!, attr] }) : this.ref(id!));
        });
      }
      case "Fn::If": {
        const [cond, yes, no] = arg as [string, Json, Json];
        return this.resolve(this.condition(cond) ? yes : no);
      }
      case "Fn::Equals": {
        const [a, b] = (this.resolve(arg) as Json[]).map((x) => JSON.stringify(x));
        return a === b;
      }
      case "Fn::Not":
        return !(this.resolve(arg) as Json[])[0];
      case "Fn::And":
        return (this.resolve(arg) as Json[]).every(Boolean);
      case "Fn::Or":
        return (this.resolve(arg) as Json[]).some(Boolean);
      case "Condition":
        return this.condition(String(arg));
      case "Fn::Select": {
        const [i, list] = arg as [Json, Json];
        return (this.resolve(list) as Json[])[Number(this.resolve(i))] ?? null;
      }
      case "Fn::Split": {
        const [sep, text] = arg as [string, Json];
        return String(this.resolve(text)).split(sep);
      }
      default:
        throw new Error(`the rehearsal does not resolve ${key}`);
    }
  }

  private ref(name: string): Json {
    if (name === "AWS::NoValue") return null; // the property is left out
    if (name.startsWith("AWS::")) {
      const v = this.values.pseudo[name];
      if (v === undefined) throw new Error(`the rehearsal has no value for ${name}`);
      return v;
    }
    if (this.template.Parameters?.[name]) {
      const v = this.values.parameters[name] ?? this.template.Parameters[name]!.Default;
      if (v === undefined) throw new Error(`stack parameter ${name} has no value (and no default)`);
      return String(v);
    }
    const r = this.values.resources[name];
    if (!r) throw new Error(`the rehearsal has no value for resource ${name}`);
    return r.ref;
  }
}

/** The ENV lines of a Dockerfile (`ENV K=V` and `ENV K V`), as the image's environment starts with them. */
function dockerfileEnv(file: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const m = /^ENV\s+(\w+)(?:=|\s+)(.*)$/.exec(line.trim());
    if (m) env[m[1]!] = m[2]!.trim();
  }
  return env;
}

function dockerfileCmd(file: string): string {
  const m = /^CMD\s+\[\s*"([^"]+)"/m.exec(readFileSync(file, "utf8"));
  if (!m) throw new Error(`${file}: no CMD ["<handler>"]`);
  return m[1]!;
}
