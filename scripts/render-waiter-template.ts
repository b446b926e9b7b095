// Prints the cloudFormation compile waiter's stack template, as the construct renders it: the tests
// create the stack from it in the emulator.
import { CLOUDFORMATION_WAITER_TEMPLATE } from "../lib/compile-waiter";

process.stdout.write(CLOUDFORMATION_WAITER_TEMPLATE);
