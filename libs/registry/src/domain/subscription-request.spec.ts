import { describe, expect, it } from '@jest/globals';
import { subscriptionRequest } from './subscription-request.js';

describe('subscriptionRequest', () => {
  it('asks for secure websockets from an https registry and plain ones from an http registry', () => {
    expect(subscriptionRequest('https://registry.example/x-nmos/query/v1.3', 'senders', {})).toMatchObject({ secure: true, resource_path: '/senders' });
    expect(subscriptionRequest('http://registry.example/x-nmos/query/v1.3', 'senders', {})).toMatchObject({ secure: false });
  });
});
