import 'reflect-metadata';
import { runMain } from '@jit/service';
import { startConsole } from './app.module';
import { loadConsoleConfig } from './config';

runMain(() => startConsole(loadConsoleConfig()));
