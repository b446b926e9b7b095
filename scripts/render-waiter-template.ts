// Prints the cloudFormation compile waiter's stack template (argv[2]: the deadline in minutes), as the
// construct renders it: the tests create the stack from it in the emulator.
import { cloudFormationWaiterTemplate } from "../lib/compile-waiter";

process.stdout.write(cloudFormationWaiterTemplate("rehearsal/Compile", Number(process.argv[2])));
