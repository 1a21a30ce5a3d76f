export interface Greeting {
  message: string;
  visits: number;
}

export function greet(name: string, visits: number): Greeting {
  return { message: `Hello, ${name}!`, visits };
}
