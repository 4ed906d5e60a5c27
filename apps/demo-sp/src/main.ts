import 'reflect-metadata';
import { runMain } from '@jit/service';
import { startDemoSp } from './app.module';
import { loadDemoSpConfig } from './config';

runMain(() => startDemoSp(loadDemoSpConfig()));
