import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

// Usage: node typescript-client-check.mjs <path to skagents.dll>
const dll = path.resolve(process.argv[2]);
const work = fs.mkdtempSync(path.join(os.tmpdir(), "skagents-ts-"));
async function exercise(label, transport) {
  const client = new Client({ name: "ts-check", version: "1.0.0" }, { capabilities: { elicitation: {} } });
  client.setRequestHandler(ElicitRequestSchema, async (req) => {
    console.log(label, "elicitation:", req.params.message.slice(0, 80));
    return { action: "accept", content: { approve: true } };
  });
  await client.connect(transport);
  const tools = await client.listTools();
  console.log(label, "tools:", tools.tools.length, tools.tools.slice(0, 4).map(t => t.name).join(","));
  const read = await client.callTool({ name: "files_read", arguments: { path: "hello.txt" } });
  console.log(label, "files_read:", JSON.stringify(read.content).slice(0, 100), "isError:", read.isError ?? false);
  const write = await client.callTool({ name: "files_write", arguments: { path: `ts-${label}.txt`, content: "from ts" } });
  console.log(label, "files_write isError:", write.isError ?? false, "file:", fs.existsSync(`${work}/ts-${label}.txt`));
  const prompts = await client.listPrompts();
  const p = await client.getPrompt({ name: "summarize", arguments: { input: "Typescript checks the C# server." } });
  console.log(label, "prompts:", prompts.prompts.map(p => p.name).join(","), "| rendered roles:", p.messages.map(m => m.role).join(","));
  await client.close();
}

fs.writeFileSync(`${work}/hello.txt`, "hello from the file");
await exercise("stdio", new StdioClientTransport({ command: "dotnet", args: [dll, "mcp", "serve"], cwd: work, env: { ...process.env, HOME: work } }));
// Streamable HTTP: start `skagents mcp serve --http` on a free loopback port and read the URL it announces.
const server = spawn("dotnet", [dll, "mcp", "serve", "--http", "--port", "0", "--token", "tstoken"], { cwd: work, env: { ...process.env, HOME: work } });
const url = await new Promise((resolve, reject) => {
  let seen = "";
  server.stderr.on("data", (chunk) => {
    seen += chunk;
    const match = /listening on (\S+)/.exec(seen);
    if (match) resolve(match[1]);
  });
  server.on("exit", (code) => reject(new Error(`skagents exited (${code}): ${seen}`)));
});
try {
  await exercise("http", new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: "Bearer tstoken" } } }));
} finally {
  server.kill();
}
