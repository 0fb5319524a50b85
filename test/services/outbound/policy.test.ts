import { describe, expect, it } from 'vitest';
import { DestinationPolicy, isIpLiteral } from '../../../src/services/outbound/policy';

describe('DestinationPolicy.refusal', () => {
  const policy = new DestinationPolicy([]);

  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.0.0.2', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['::1', 'loopback'],
    ['fe80::1', 'linkLocal'],
    ['fd00::1', 'uniqueLocal'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:127.0.0.1', 'loopback'],
  ])('refuses %s (%s)', (address, range) => {
    expect(policy.refusal(address)).toBe(`${address} is a ${range} address`);
  });

  it.each(['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111'])('allows the public address %s', (address) => {
    expect(policy.refusal(address)).toBeUndefined();
  });

  it('allows a listed address or host however it is written', () => {
    const dev = new DestinationPolicy(['127.0.0.1', 'LocalHost', '[::1]']);
    expect(dev.refusal('127.0.0.1')).toBeUndefined();
    expect(dev.refusal('0:0:0:0:0:0:0:1')).toBeUndefined();
    expect(dev.refusal('127.0.0.2')).toBe('127.0.0.2 is a loopback address');
    expect(dev.hostAllowed('localhost')).toBe(true);
    expect(dev.hostAllowed('[::1]')).toBe(true);
    expect(dev.hostAllowed('example.com')).toBe(false);
  });
});

describe('isIpLiteral', () => {
  it('tells IP literals (as URLs write them) from names', () => {
    expect(isIpLiteral('127.0.0.1')).toBe(true);
    expect(isIpLiteral('[::1]')).toBe(true);
    expect(isIpLiteral('localhost')).toBe(false);
    expect(isIpLiteral('example.com')).toBe(false);
  });
});
