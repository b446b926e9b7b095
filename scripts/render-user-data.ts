// Prints the compile instance's user data for a literal environment (JSON on argv[2]), as
// Terraform would render it: the rehearsal and the tests run it on a machine that is not the instance.
import { renderCompileUserData } from "../lib/user-data";

const { environment, deadlineMinutes } = JSON.parse(process.argv[2]) as {
  environment: Record<string, string>;
  deadlineMinutes: number;
};
const { script } = renderCompileUserData({ constructPath: "rehearsal/Compile", environment, deadlineMinutes });
// Terraform turns the escaped "$${" and "%%{" back into "${" and "%{".
process.stdout.write(script.replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{"));
