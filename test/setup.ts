import '../src/threadpool';
import 'reflect-metadata';
import chai from 'chai';

chai.config.truncateThreshold = 0;
